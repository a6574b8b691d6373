# privpath: one image for every role (`privpath up --roles ...`).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY sdk/package.json sdk/
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/sdk ./sdk
COPY --from=build /app/dist ./dist
COPY --from=build /app/rules ./rules
COPY --from=build /app/console/public ./console/public
# store.data_dir (./data): owned by the image's user, so a volume mounted there starts writable
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 4318 4317
ENTRYPOINT ["node", "--max-semi-space-size=64", "dist/cli/main.js"]
CMD ["up", "--host", "0.0.0.0"]
