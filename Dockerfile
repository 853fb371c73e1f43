# flash-coupon service image: `docker build -t flash-coupon .` (docker-compose.yml uses it).
FROM node:20 AS build
WORKDIR /app
# patches/ first: npm ci's postinstall (patch-package) applies them to node_modules.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/lua ./lua
COPY --from=build /app/assets ./assets
EXPOSE 8080
USER node
# exec form: SIGTERM from `docker stop` reaches node and starts the graceful shutdown.
CMD ["node", "dist/src/cli.js", "serve"]
